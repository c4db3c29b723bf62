"""The reference ceiling: the smallest Flask app, served by the same gunicorn settings as the platform."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "ok"
