"""places: a gazetteer of capitals and large cities, the places each article names (with offsets), and the
place an event without coordinates inherits from its article

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    op.create_table(
        "places",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("normalized", sa.String(length=255), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("country_actor_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("capital", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("geonameid", sa.Integer(), nullable=True),
        sa.Column("aliases", json_type, nullable=True),
        sa.Column("attributes", json_type, nullable=True),
        sa.ForeignKeyConstraint(
            ["country_actor_id"],
            ["actors.id"],
            name=op.f("fk_places_country_actor_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    op.create_index(op.f("ix_places_normalized"), "places", ["normalized"])
    op.create_index(op.f("ix_places_country_actor_id"), "places", ["country_actor_id"])
    op.create_index("ix_places_lat_lon", "places", ["lat", "lon"])
    op.create_index("ix_places_country_population", "places", ["country", "population"])
    op.create_table(
        "article_places",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.String(length=96), nullable=False),
        sa.Column("text", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_places_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_article_places_place_id_places"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "start_offset", name=op.f("pk_article_places")),
    )
    op.create_index("ix_article_places_place_id_article_id", "article_places", ["place_id", "article_id"])
    # Plain ADD COLUMN (no batch copy, no constraint): SQLite adds a nullable column in place.
    op.add_column("events", sa.Column("place_id", sa.String(length=96), nullable=True))
    op.create_index(op.f("ix_events_place_id"), "events", ["place_id"])
    op.create_index("ix_events_lat_lon", "events", ["lat", "lon"])


def downgrade() -> None:
    op.drop_index("ix_events_lat_lon", table_name="events")
    op.drop_index(op.f("ix_events_place_id"), table_name="events")
    op.drop_column("events", "place_id")
    op.drop_table("article_places")
    op.drop_table("places")
