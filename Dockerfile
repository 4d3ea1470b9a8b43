# syntax=docker/dockerfile:1
# Build stage: resolve the locked dependencies into /app/.venv with Poetry.
FROM python:3.11-slim AS build
ENV POETRY_VIRTUALENVS_IN_PROJECT=true \
    POETRY_NO_INTERACTION=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "poetry==2.5.1"
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN poetry install --only main --no-root

# Run stage: the virtual environment and the code, as an unprivileged user.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 catalogue
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY alembic.ini app.py manage.py ./
COPY migrations ./migrations
COPY modules ./modules
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000
USER catalogue
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2).status != 200)"]
# Exec form, so the server receives SIGTERM directly: it drains, then shuts down gracefully.
CMD ["python", "manage.py", "serve"]
