"""docs/DATA_MODEL.md documents the schema the code uses (issue #2)."""

from pathlib import Path

from tailorwise.schema import SCHEMAS, schema_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "DATA_MODEL.md"


def test_data_model_doc_matches_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert schema_markdown().strip() in text, "regenerate docs/DATA_MODEL.md from schema_markdown()"
    for schema in SCHEMAS.values():
        for field in schema.fields:
            assert f"`{field.name}`" in text
