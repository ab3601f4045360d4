from services.national_hub.adapters.orm import Base
from shared.alembic_env import run_env

run_env(Base.metadata)
