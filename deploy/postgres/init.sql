-- Roles and databases for the three services.
-- Run once by the postgres image from /docker-entrypoint-initdb.d on first init.
-- Keep in sync with deploy/local/infra.sh.

CREATE ROLE treating LOGIN CREATEDB PASSWORD 'treating';
CREATE ROLE hub      LOGIN CREATEDB PASSWORD 'hub';
CREATE ROLE insured  LOGIN CREATEDB PASSWORD 'insured';

CREATE DATABASE treating_region OWNER treating;
CREATE DATABASE national_hub    OWNER hub;
CREATE DATABASE insured_region  OWNER insured;
