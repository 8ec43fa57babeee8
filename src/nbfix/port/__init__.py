"""`nbfix port`'s library: porting a project's build files and Python code (the porting rules,
`nbfix.rules.porting`), and writing what they return."""
