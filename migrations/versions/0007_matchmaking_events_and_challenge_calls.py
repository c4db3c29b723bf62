"""matchmaking events and challenge calls (issue 8)

Events (供需对接会/专场) with their programme, pairs, registrations and log; 揭榜挂帅 calls with applications and log.
New tables only: the downgrade drops them in reverse order of their foreign keys.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:55:55.437050

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('matchmaking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('industry_code', sa.String(length=32), nullable=False),
    sa.Column('focus_keywords', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('online_url', sa.String(length=300), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'cancelled' OR length(cancel_reason) > 0", name=op.f('ck_matchmaking_events_cancel_reason')),
    sa.CheckConstraint("status IN ('scheduled', 'finished', 'cancelled')", name=op.f('ck_matchmaking_events_status')),
    sa.CheckConstraint('capacity > 0 AND capacity <= 2000', name=op.f('ck_matchmaking_events_capacity_range')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_matchmaking_events_ends_after_start')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_matchmaking_events_title_not_empty')),
    sa.CheckConstraint('length(venue) > 0 OR length(online_url) > 0', name=op.f('ck_matchmaking_events_has_place')),
    sa.CheckConstraint('registered_count >= 0 AND registered_count <= capacity', name=op.f('ck_matchmaking_events_registered_within_capacity')),
    sa.CheckConstraint('registration_deadline <= starts_at', name=op.f('ck_matchmaking_events_deadline_before_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_matchmaking_events_created_by_id_users')),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_matchmaking_events_industry_code_industries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matchmaking_events'))
    )
    with op.batch_alter_table('matchmaking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matchmaking_events_industry_code'), ['industry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_matchmaking_events_status'), ['status'], unique=False)
        batch_op.create_index('ix_matchmaking_events_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('event_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('listing_kind', sa.String(length=16), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('achievement_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('roadshow_order', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(listing_kind = 'need' AND need_id IS NOT NULL AND achievement_id IS NULL) OR (listing_kind = 'achievement' AND achievement_id IS NOT NULL AND need_id IS NULL)", name=op.f('ck_event_listings_one_listing')),
    sa.CheckConstraint("listing_kind IN ('need', 'achievement')", name=op.f('ck_event_listings_listing_kind')),
    sa.CheckConstraint('roadshow_order > 0', name=op.f('ck_event_listings_order_positive')),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_event_listings_achievement_id_achievements')),
    sa.ForeignKeyConstraint(['event_id'], ['matchmaking_events.id'], name=op.f('fk_event_listings_event_id_matchmaking_events')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_event_listings_invited_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_event_listings_need_id_needs')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_event_listings_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_listings')),
    sa.UniqueConstraint('event_id', 'achievement_id', name='uq_event_listings_achievement'),
    sa.UniqueConstraint('event_id', 'need_id', name='uq_event_listings_need'),
    sa.UniqueConstraint('event_id', 'roadshow_order', name='uq_event_listings_order')
    )
    with op.batch_alter_table('event_listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_listings_achievement_id'), ['achievement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_listings_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_listings_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_listings_organization_id'), ['organization_id'], unique=False)

    op.create_table('event_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_event_logs_actor_id_users')),
    sa.ForeignKeyConstraint(['event_id'], ['matchmaking_events.id'], name=op.f('fk_event_logs_event_id_matchmaking_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_logs'))
    )
    with op.batch_alter_table('event_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_logs_event_id'), ['event_id'], unique=False)

    op.create_table('event_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('registered')", name=op.f('ck_event_registrations_status')),
    sa.ForeignKeyConstraint(['event_id'], ['matchmaking_events.id'], name=op.f('fk_event_registrations_event_id_matchmaking_events')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_event_registrations_organization_id_organizations')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_event_registrations_registered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registrations')),
    sa.UniqueConstraint('event_id', 'organization_id', name='uq_event_registrations_org')
    )
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_registrations_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_registrations_organization_id'), ['organization_id'], unique=False)

    op.create_table('challenge_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('industry_code', sa.String(length=32), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('indicators', sa.Text(), nullable=False),
    sa.Column('reward_yuan', sa.BigInteger(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('allow_enterprise', sa.Boolean(), nullable=False),
    sa.Column('allow_university', sa.Boolean(), nullable=False),
    sa.Column('allow_institute', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('close_reason', sa.Text(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'awarded') = (deal_id IS NOT NULL)", name=op.f('ck_challenge_calls_awarded_has_deal')),
    sa.CheckConstraint("status <> 'closed' OR length(close_reason) > 0", name=op.f('ck_challenge_calls_close_reason')),
    sa.CheckConstraint("status IN ('open', 'awarded', 'closed')", name=op.f('ck_challenge_calls_status')),
    sa.CheckConstraint('allow_enterprise OR allow_university OR allow_institute', name=op.f('ck_challenge_calls_someone_eligible')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_challenge_calls_title_not_empty')),
    sa.CheckConstraint('reward_yuan >= 0 AND reward_yuan <= 10000000000', name=op.f('ck_challenge_calls_reward_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_challenge_calls_created_by_id_users')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_challenge_calls_deal_id_deals')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_challenge_calls_decided_by_id_users')),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_challenge_calls_industry_code_industries')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_challenge_calls_need_id_needs')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_challenge_calls_owner_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_calls')),
    sa.UniqueConstraint('deal_id', name=op.f('uq_challenge_calls_deal_id'))
    )
    with op.batch_alter_table('challenge_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_calls_industry_code'), ['industry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_calls_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_calls_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_calls_status'), ['status'], unique=False)
        batch_op.create_index('ix_challenge_calls_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('event_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(outcome = 'deal_opened') = (deal_id IS NOT NULL)", name=op.f('ck_event_pairs_deal_iff_opened')),
    sa.CheckConstraint("outcome IN ('pending', 'no_interest', 'intent', 'deal_opened')", name=op.f('ck_event_pairs_outcome')),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_event_pairs_achievement_id_achievements')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_event_pairs_deal_id_deals')),
    sa.ForeignKeyConstraint(['event_id'], ['matchmaking_events.id'], name=op.f('fk_event_pairs_event_id_matchmaking_events')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_event_pairs_need_id_needs')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_event_pairs_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_pairs')),
    sa.UniqueConstraint('deal_id', name=op.f('uq_event_pairs_deal_id')),
    sa.UniqueConstraint('event_id', 'need_id', 'achievement_id', name='uq_event_pairs_pair')
    )
    with op.batch_alter_table('event_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_pairs_achievement_id'), ['achievement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_pairs_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_event_pairs_event_outcome', ['event_id', 'outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_pairs_need_id'), ['need_id'], unique=False)

    op.create_table('call_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('price_yuan', sa.BigInteger(), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'selected', 'not_selected')", name=op.f('ck_call_applications_status')),
    sa.CheckConstraint('duration_months > 0 AND duration_months <= 120', name=op.f('ck_call_applications_duration_range')),
    sa.CheckConstraint('price_yuan >= 0 AND price_yuan <= 10000000000', name=op.f('ck_call_applications_price_range')),
    sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_call_applications_applicant_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['challenge_calls.id'], name=op.f('fk_call_applications_call_id_challenge_calls')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_call_applications_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_applications')),
    sa.UniqueConstraint('call_id', 'organization_id', name='uq_call_applications_org')
    )
    with op.batch_alter_table('call_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_applications_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_applications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_applications_status'), ['status'], unique=False)
        batch_op.create_index('uq_call_applications_selected', ['call_id'], unique=True, postgresql_where=sa.text("status = 'selected'"), sqlite_where=sa.text("status = 'selected'"))

    op.create_table('call_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_call_logs_actor_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['challenge_calls.id'], name=op.f('fk_call_logs_call_id_challenge_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_logs'))
    )
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_logs_call_id'), ['call_id'], unique=False)



def downgrade():
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_logs_call_id'))

    op.drop_table('call_logs')
    with op.batch_alter_table('call_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_call_applications_selected', postgresql_where=sa.text("status = 'selected'"), sqlite_where=sa.text("status = 'selected'"))
        batch_op.drop_index(batch_op.f('ix_call_applications_status'))
        batch_op.drop_index(batch_op.f('ix_call_applications_organization_id'))
        batch_op.drop_index(batch_op.f('ix_call_applications_call_id'))

    op.drop_table('call_applications')
    with op.batch_alter_table('event_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_pairs_need_id'))
        batch_op.drop_index('ix_event_pairs_event_outcome')
        batch_op.drop_index(batch_op.f('ix_event_pairs_event_id'))
        batch_op.drop_index(batch_op.f('ix_event_pairs_achievement_id'))

    op.drop_table('event_pairs')
    with op.batch_alter_table('challenge_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_challenge_calls_status_deadline')
        batch_op.drop_index(batch_op.f('ix_challenge_calls_status'))
        batch_op.drop_index(batch_op.f('ix_challenge_calls_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_calls_need_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_calls_industry_code'))

    op.drop_table('challenge_calls')
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_registrations_organization_id'))
        batch_op.drop_index(batch_op.f('ix_event_registrations_event_id'))

    op.drop_table('event_registrations')
    with op.batch_alter_table('event_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_logs_event_id'))

    op.drop_table('event_logs')
    with op.batch_alter_table('event_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_listings_organization_id'))
        batch_op.drop_index(batch_op.f('ix_event_listings_need_id'))
        batch_op.drop_index(batch_op.f('ix_event_listings_event_id'))
        batch_op.drop_index(batch_op.f('ix_event_listings_achievement_id'))

    op.drop_table('event_listings')
    with op.batch_alter_table('matchmaking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_matchmaking_events_status_starts_at')
        batch_op.drop_index(batch_op.f('ix_matchmaking_events_status'))
        batch_op.drop_index(batch_op.f('ix_matchmaking_events_industry_code'))

    op.drop_table('matchmaking_events')
