from nbfix.cli.entry import main

main()
