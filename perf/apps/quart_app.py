"""The soak app, as in the original Granian leak report: a Quart endpoint returning a 4 MB string."""

from quart import Quart

app = Quart(__name__)
FOUR_MB = "x" * (4 * 1000 * 1000)


@app.route("/4mb")
async def four_mb():
    return FOUR_MB


@app.route("/")
async def hello():
    return "Hello, World!"
