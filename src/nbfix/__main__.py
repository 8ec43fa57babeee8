from nbfix.entry import main

main()
