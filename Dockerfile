# commerce-guard: same pins as the Makefile (torch CPU first, then constraints.txt).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CG_DATA_DIR=/data CG_HOST=0.0.0.0 CG_PORT=8000

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY service ./service
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install -c constraints.txt .

COPY knowledge ./knowledge
COPY prompts ./prompts
ENV CG_KNOWLEDGE_DIR=/app/knowledge CG_PROMPTS_DIR=/app/prompts

VOLUME ["/data"]
EXPOSE 8000
# Build the index from the shipped knowledge (a no-op when unchanged), then serve.
CMD ["sh", "-c", "commerce-guard ingest --quiet && commerce-guard serve"]
