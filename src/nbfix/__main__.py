from nbfix.cli import main

main()
