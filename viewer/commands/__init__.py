"""The subcommands of ``viewer``: one module each, with ``add_parser(subparsers)`` registering its options and
``run(args)`` (set as the parser's ``run`` default) doing the work.

``viewer.cli.COMMANDS`` lists the modules in the order ``viewer --help`` shows them; a new subcommand is a new
module here and one entry there. Modules import the engine inside ``run`` only, so that ``viewer --help`` and
the GUI's start stay quick.
"""
