import click
from flask import Blueprint

from app.accounts import services
from app.errors import DomainError
from app.extensions import db

bp = Blueprint("accounts_cli", __name__, cli_group="accounts")


@bp.cli.command("create-bureau-admin")
@click.option("--email", prompt="邮箱")
@click.option("--name", prompt="姓名")
@click.password_option("--password", prompt="密码")
def create_bureau_admin(email: str, name: str, password: str) -> None:
    """Create the first bureau administrator (科技局管理员)."""
    try:
        user = services.create_staff(email, name, password, role="admin")
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    click.echo(f"已创建科技局管理员：{user.email}")
