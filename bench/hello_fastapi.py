"""A FastAPI hello world (issue 16 measures by id against it): one async route returning a small JSON
object, the framework's defaults, nothing else."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"status": "ok"}
