# Takes the place of rabbitmq:3.13 where no container registry is reachable, with Debian's RabbitMQ
# (3.10.8, older: see docs/design.md §4, "A known gap"),
# run in the foreground with its log on stdout, configuration in /etc/rabbitmq and data in
# /var/lib/rabbitmq as in the official image. Streams and quorum queues need no plugin.
ARG DEBIAN_IMAGE=relay-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/* /var/lib/rabbitmq/mnesia \
    && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
ENV RABBITMQ_LOGS=- \
    HOME=/var/lib/rabbitmq \
    LANG=C.UTF-8
VOLUME /var/lib/rabbitmq
EXPOSE 5672
COPY rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
