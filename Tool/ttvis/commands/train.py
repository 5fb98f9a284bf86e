"""(placeholder: being built)"""

HELP = "(not yet available)"


def add_arguments(p):
    p.add_argument("run", nargs="?")


def run(args):
    raise ValueError("this verb is not available yet")
