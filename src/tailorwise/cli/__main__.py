from tailorwise.cli.main import main

main()
