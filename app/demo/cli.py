import click
from flask import Blueprint

from app.demo import loader

bp = Blueprint("demo_cli", __name__, cli_group="demo")


@bp.cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has organizations.")
def load(if_empty: bool) -> None:
    """Fill an empty database with the demo market and print one login per role."""
    if loader.has_data():
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            loader.print_accounts(click.echo)
            return
        raise click.ClickException("数据库已有数据；演示数据只能载入空数据库。")
    counts = loader.load()
    click.echo("已载入演示数据：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    from app.matches import services as matches
    n = matches.rebuild_all()
    click.echo(f"已为 {n} 条已发布信息计算推荐。")
    loader.print_accounts(click.echo)
