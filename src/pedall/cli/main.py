"""The ``pedall`` command line: a thin adapter over the library API.

Exit status: 0 success; 1 the input had errors (valid parts are still processed and
printed); 2 usage errors (unknown option, unknown query name, SPARQL syntax error).
The commands live by concept in ``knowledge_commands``, ``patient_commands`` and
``serve_command``; each imports its heavy libraries only when it runs.
"""

from __future__ import annotations

import click

from pedall import __version__
from pedall.cli.check_command import check
from pedall.cli.docs_command import docs
from pedall.cli.knowledge_commands import canonicalize, export, info, query
from pedall.cli.options import GlobalOptions
from pedall.cli.patient_commands import classify, validate
from pedall.cli.publish_command import publish
from pedall.cli.report_command import report
from pedall.cli.serve_command import serve


@click.group()
@click.version_option(__version__, prog_name="pedall")
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="PEDALL_NO_CACHE",
    help="Infer the OWL RL closure afresh instead of reading (and writing) the closure "
    "cache in the user cache folder (also: PEDALL_NO_CACHE=1).",
)
@click.pass_context
def main(context: click.Context, no_cache: bool) -> None:
    """pedall: pediatric ALL knowledge graph. For research and education only; not for
    clinical decision-making."""
    injected = context.obj if isinstance(context.obj, GlobalOptions) else GlobalOptions()
    context.obj = GlobalOptions(no_cache=no_cache, knowledge=injected.knowledge)


for command in (canonicalize, query, export, info, classify, validate, serve, publish):
    main.add_command(command)
main.add_command(check)
main.add_command(report)
main.add_command(docs)
