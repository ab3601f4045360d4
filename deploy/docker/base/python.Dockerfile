# Stands in for python:3.11-slim where no container registry is reachable: Debian's Python 3.11
# in a virtual environment first on PATH, so `python` and `pip` behave as in the official image.
# deploy/docker/base-images.sh builds it from a debootstrapped Debian; nothing is pulled.
ARG DEBIAN_IMAGE=relay-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN python3 -m venv /opt/python
ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
CMD ["python3"]
