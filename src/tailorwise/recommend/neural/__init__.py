"""The PyTorch models: SASRec, GRU4Rec and a two-tower model, on one training base."""
