"""flask-smorest's Blueprint for every /api/v1 module, with each argument schema built once: given a schema class,
webargs builds an instance on every request (about a tenth of a cached list call's time)."""
from flask_smorest import Blueprint as _Blueprint


class Blueprint(_Blueprint):
    def arguments(self, schema, *args, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
