# newsum: CPU image. The abstractive model is fetched and converted for CTranslate2
# at build time, so the container starts and serves offline without converting.
# Build: docker build -t newsum .
# Another model: docker build --build-arg MODEL=facebook/bart-large-cnn -t newsum .
# More models, routed by language (comma-separated; each is baked and loaded at start):
#   docker build --build-arg MODELS=csebuetnlp/mT5_multilingual_XLSum -t newsum .
# int8 (faster, lossy; see the README): docker build --build-arg COMPUTE_TYPE=int8 -t newsum .
# torch, the reference: docker build --build-arg BACKEND=torch -t newsum .
# With the NLI faithfulness judge (off by default; docs/attribution.md):
#   docker build --build-arg NLI_MODEL=MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli -t newsum .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HOME=/opt/newsum/hf

RUN groupadd --system --gid 10001 newsum \
    && useradd --system --uid 10001 --gid newsum --home-dir /opt/newsum --create-home newsum

WORKDIR /opt/newsum/app
# What the wheel is built from: the one package newsum/, whose models, service and benchmarks
# are links to the folders beside it. COPY keeps a link a link, so the folders come too, each
# under its own name (tests/test_dockerfile.py checks this list against the checkout).
COPY pyproject.toml README.md ./
COPY newsum ./newsum
COPY models ./models
COPY service ./service
COPY benchmarks ./benchmarks

# A wheel built and installed (not editable): the package lands in site-packages as newsum/.
# torch from the CPU wheel index: PyPI's default torch wheel carries CUDA (several GB).
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu .
# Commands run outside the sources, so `python -m newsum` imports the installed package.
WORKDIR /opt/newsum

ARG MODEL=sshleifer/distilbart-cnn-12-6
ARG MODELS=""
ARG BACKEND=ctranslate2
ARG COMPUTE_TYPE=float32
# Downloads each checkpoint (MODEL, then MODELS) into HF_HOME, converts it for
# CTranslate2 into a folder beside it (ctranslate2-<type>/, where the service looks
# first), and checks that it loads and generates there.
RUN NEWSUM_MODEL="${MODEL}" NEWSUM_MODELS="${MODELS}" \
    newsum fetch-model --backend "${BACKEND}" --compute-type "${COMPUTE_TYPE}" \
    && chown -R newsum:newsum /opt/newsum/hf

ARG NLI_MODEL=none
# The NLI judge, when one is named: downloaded into HF_HOME, its labels checked, a probe judged.
RUN if [ "${NLI_MODEL}" != "none" ]; then \
        NEWSUM_NLI_MODEL="${NLI_MODEL}" newsum fetch-model --nli \
        && chown -R newsum:newsum /opt/newsum/hf; \
    fi

# The image carries its models: one that cannot be loaded stops `newsum serve` at start
# (status 1, one line saying which and why) rather than serving without it.
ENV NEWSUM_MODEL=${MODEL} \
    NEWSUM_MODELS=${MODELS} \
    NEWSUM_BACKEND=${BACKEND} \
    NEWSUM_COMPUTE_TYPE=${COMPUTE_TYPE} \
    NEWSUM_NLI_MODEL=${NLI_MODEL} \
    NEWSUM_REQUIRE_MODEL=true \
    NEWSUM_HOST=0.0.0.0 \
    NEWSUM_PORT=8000 \
    HF_HUB_OFFLINE=1

USER 10001:10001
EXPOSE 8000

# Ready means the models are loaded and warmed up, not merely that the process lives.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

CMD ["newsum", "serve"]
