"""auctions, contracts, targets

Online auctions with their bids and log; technology contracts with versions (supersedes_id/root_id), their patents
and audit trail; the records behind the plan's other 专栏13 targets (patent industrialization with evidence, certified
service agencies, major-contribution invention patents). Reviewed by hand: every table is new, so downgrade drops them
in reverse dependency order. The partial unique index on auctions (one running auction per achievement) is created
with both dialects' WHERE clause.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:49:25.687030

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_agency_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('certified_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_service_agency_certifications_year_range')),
    sa.ForeignKeyConstraint(['certified_by_id'], ['users.id'], name=op.f('fk_service_agency_certifications_certified_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_service_agency_certifications_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_agency_certifications')),
    sa.UniqueConstraint('organization_id', 'year', name='uq_service_agency_certifications_org_year')
    )
    with op.batch_alter_table('service_agency_certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_agency_certifications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_agency_certifications_year'), ['year'], unique=False)

    op.create_table('auctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_price_yuan', sa.BigInteger(), nullable=False),
    sa.Column('reserve_price_yuan', sa.BigInteger(), nullable=False),
    sa.Column('increment_yuan', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extension_minutes', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('current_price_yuan', sa.BigInteger(), nullable=True),
    sa.Column('bid_count', sa.Integer(), nullable=False),
    sa.Column('leader_user_id', sa.Integer(), nullable=True),
    sa.Column('leader_org_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_reason', sa.Text(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status != 'closed_sold' OR (current_price_yuan IS NOT NULL AND current_price_yuan >= reserve_price_yuan)", name=op.f('ck_auctions_sold_at_reserve')),
    sa.CheckConstraint("status IN ('scheduled', 'open', 'closed_sold', 'closed_unsold', 'cancelled')", name=op.f('ck_auctions_status')),
    sa.CheckConstraint('(bid_count = 0 AND current_price_yuan IS NULL AND leader_org_id IS NULL) OR (bid_count > 0 AND current_price_yuan >= start_price_yuan AND leader_org_id IS NOT NULL)', name=op.f('ck_auctions_leader_consistent')),
    sa.CheckConstraint('bid_count >= 0', name=op.f('ck_auctions_bid_count_nonnegative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_auctions_ends_after_start')),
    sa.CheckConstraint('extension_minutes >= 0 AND extension_minutes <= 120', name=op.f('ck_auctions_extension_range')),
    sa.CheckConstraint('increment_yuan > 0', name=op.f('ck_auctions_increment_positive')),
    sa.CheckConstraint('reserve_price_yuan >= start_price_yuan AND reserve_price_yuan <= 10000000000', name=op.f('ck_auctions_reserve_price_range')),
    sa.CheckConstraint('start_price_yuan > 0 AND start_price_yuan <= 10000000000', name=op.f('ck_auctions_start_price_range')),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_auctions_achievement_id_achievements')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_auctions_created_by_id_users')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_auctions_deal_id_deals')),
    sa.ForeignKeyConstraint(['leader_org_id'], ['organizations.id'], name=op.f('fk_auctions_leader_org_id_organizations')),
    sa.ForeignKeyConstraint(['leader_user_id'], ['users.id'], name=op.f('fk_auctions_leader_user_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_auctions_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auctions')),
    sa.UniqueConstraint('deal_id', name=op.f('uq_auctions_deal_id'))
    )
    with op.batch_alter_table('auctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auctions_achievement_id'), ['achievement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auctions_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auctions_status'), ['status'], unique=False)
        batch_op.create_index('ix_auctions_status_ends_at', ['status', 'ends_at'], unique=False)
        batch_op.create_index('uq_auctions_active_achievement', ['achievement_id'], unique=True, postgresql_where=sa.text("status IN ('scheduled', 'open')"), sqlite_where=sa.text("status IN ('scheduled', 'open')"))

    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('contract_type', sa.String(length=16), nullable=False),
    sa.Column('buyer_org_id', sa.Integer(), nullable=True),
    sa.Column('buyer_name', sa.String(length=100), nullable=False),
    sa.Column('buyer_credit_code', sa.String(length=18), nullable=False),
    sa.Column('buyer_region', sa.String(length=100), nullable=False),
    sa.Column('buyer_in_county', sa.Boolean(), nullable=False),
    sa.Column('seller_org_id', sa.Integer(), nullable=True),
    sa.Column('seller_name', sa.String(length=100), nullable=False),
    sa.Column('seller_credit_code', sa.String(length=18), nullable=False),
    sa.Column('seller_region', sa.String(length=100), nullable=False),
    sa.Column('seller_in_county', sa.Boolean(), nullable=False),
    sa.Column('contract_amount_yuan', sa.BigInteger(), nullable=False),
    sa.Column('tech_amount_yuan', sa.BigInteger(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('achievement_id', sa.Integer(), nullable=True),
    sa.Column('broker_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('correction_reason', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('registration_number', sa.String(length=20), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('counted_on', sa.Date(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("contract_type IN ('development', 'transfer', 'license', 'consulting', 'service')", name=op.f('ck_contracts_contract_type')),
    sa.CheckConstraint("status != 'returned' OR length(return_reason) > 0", name=op.f('ck_contracts_returned_has_reason')),
    sa.CheckConstraint("status IN ('submitted', 'returned', 'registered', 'superseded')", name=op.f('ck_contracts_status')),
    sa.CheckConstraint("status NOT IN ('registered', 'superseded') OR (registration_number IS NOT NULL AND registered_on IS NOT NULL AND counted_on IS NOT NULL)", name=op.f('ck_contracts_registered_has_number')),
    sa.CheckConstraint('(version = 1 AND supersedes_id IS NULL) OR (version > 1 AND supersedes_id IS NOT NULL)', name=op.f('ck_contracts_version_chain')),
    sa.CheckConstraint('contract_amount_yuan > 0 AND contract_amount_yuan <= 10000000000', name=op.f('ck_contracts_contract_amount_range')),
    sa.CheckConstraint('length(buyer_name) > 0 AND length(seller_name) > 0', name=op.f('ck_contracts_parties_named')),
    sa.CheckConstraint('tech_amount_yuan > 0 AND tech_amount_yuan <= contract_amount_yuan', name=op.f('ck_contracts_tech_amount_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_contracts_version_positive')),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_contracts_achievement_id_achievements')),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], name=op.f('fk_contracts_broker_id_users')),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organizations.id'], name=op.f('fk_contracts_buyer_org_id_organizations')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_contracts_deal_id_deals')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_contracts_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_contracts_registered_by_id_users')),
    sa.ForeignKeyConstraint(['root_id'], ['contracts.id'], name=op.f('fk_contracts_root_id_contracts')),
    sa.ForeignKeyConstraint(['seller_org_id'], ['organizations.id'], name=op.f('fk_contracts_seller_org_id_organizations')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['contracts.id'], name=op.f('fk_contracts_supersedes_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_contracts_registration_number')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_contracts_supersedes_id'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_achievement_id'), ['achievement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_buyer_in_county'), ['buyer_in_county'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_buyer_org_id'), ['buyer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_contract_type'), ['contract_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_counted_on'), ['counted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_recorded_by_id'), ['recorded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_root_id'), ['root_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_seller_in_county'), ['seller_in_county'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_seller_org_id'), ['seller_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_status'), ['status'], unique=False)
        batch_op.create_index('ix_contracts_status_counted_on', ['status', 'counted_on'], unique=False)

    op.create_table('major_patent_selections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('selected_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_major_patent_selections_year_range')),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_major_patent_selections_patent_id_patents')),
    sa.ForeignKeyConstraint(['selected_by_id'], ['users.id'], name=op.f('fk_major_patent_selections_selected_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_patent_selections')),
    sa.UniqueConstraint('patent_id', name=op.f('uq_major_patent_selections_patent_id'))
    )
    with op.batch_alter_table('major_patent_selections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_major_patent_selections_year'), ['year'], unique=False)

    op.create_table('patent_industrializations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('industrialized_on', sa.Date(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(evidence) > 0', name=op.f('ck_patent_industrializations_evidence_not_empty')),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_patent_industrializations_patent_id_patents')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_patent_industrializations_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patent_industrializations')),
    sa.UniqueConstraint('patent_id', name=op.f('uq_patent_industrializations_patent_id'))
    )
    with op.batch_alter_table('patent_industrializations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patent_industrializations_industrialized_on'), ['industrialized_on'], unique=False)

    op.create_table('auction_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_auction_events_actor_id_users')),
    sa.ForeignKeyConstraint(['auction_id'], ['auctions.id'], name=op.f('fk_auction_events_auction_id_auctions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_events'))
    )
    with op.batch_alter_table('auction_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auction_events_auction_id'), ['auction_id'], unique=False)

    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('amount_yuan', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extended_end', sa.Boolean(), nullable=False),
    sa.CheckConstraint('amount_yuan > 0', name=op.f('ck_bids_amount_positive')),
    sa.CheckConstraint('seq > 0', name=op.f('ck_bids_seq_positive')),
    sa.ForeignKeyConstraint(['auction_id'], ['auctions.id'], name=op.f('fk_bids_auction_id_auctions')),
    sa.ForeignKeyConstraint(['bidder_id'], ['users.id'], name=op.f('fk_bids_bidder_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_bids_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids')),
    sa.UniqueConstraint('auction_id', 'amount_yuan', name='uq_bids_auction_amount'),
    sa.UniqueConstraint('auction_id', 'seq', name='uq_bids_auction_seq')
    )
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bids_auction_id'), ['auction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_bidder_id'), ['bidder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_organization_id'), ['organization_id'], unique=False)

    op.create_table('contract_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_contract_events_actor_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_events_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_events'))
    )
    with op.batch_alter_table('contract_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_events_contract_id'), ['contract_id'], unique=False)

    op.create_table('contract_patents',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_patents_contract_id_contracts')),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_contract_patents_patent_id_patents')),
    sa.PrimaryKeyConstraint('contract_id', 'patent_id', name=op.f('pk_contract_patents'))
    )
    with op.batch_alter_table('contract_patents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_patents_patent_id'), ['patent_id'], unique=False)



def downgrade():
    with op.batch_alter_table('contract_patents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_patents_patent_id'))

    op.drop_table('contract_patents')
    with op.batch_alter_table('contract_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_events_contract_id'))

    op.drop_table('contract_events')
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bids_organization_id'))
        batch_op.drop_index(batch_op.f('ix_bids_bidder_id'))
        batch_op.drop_index(batch_op.f('ix_bids_auction_id'))

    op.drop_table('bids')
    with op.batch_alter_table('auction_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auction_events_auction_id'))

    op.drop_table('auction_events')
    with op.batch_alter_table('patent_industrializations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patent_industrializations_industrialized_on'))

    op.drop_table('patent_industrializations')
    with op.batch_alter_table('major_patent_selections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_major_patent_selections_year'))

    op.drop_table('major_patent_selections')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_status_counted_on')
        batch_op.drop_index(batch_op.f('ix_contracts_status'))
        batch_op.drop_index(batch_op.f('ix_contracts_seller_org_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_seller_in_county'))
        batch_op.drop_index(batch_op.f('ix_contracts_root_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_recorded_by_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_deal_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_counted_on'))
        batch_op.drop_index(batch_op.f('ix_contracts_contract_type'))
        batch_op.drop_index(batch_op.f('ix_contracts_buyer_org_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_buyer_in_county'))
        batch_op.drop_index(batch_op.f('ix_contracts_broker_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_achievement_id'))

    op.drop_table('contracts')
    with op.batch_alter_table('auctions', schema=None) as batch_op:
        batch_op.drop_index('uq_auctions_active_achievement', postgresql_where=sa.text("status IN ('scheduled', 'open')"), sqlite_where=sa.text("status IN ('scheduled', 'open')"))
        batch_op.drop_index('ix_auctions_status_ends_at')
        batch_op.drop_index(batch_op.f('ix_auctions_status'))
        batch_op.drop_index(batch_op.f('ix_auctions_organization_id'))
        batch_op.drop_index(batch_op.f('ix_auctions_achievement_id'))

    op.drop_table('auctions')
    with op.batch_alter_table('service_agency_certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_agency_certifications_year'))
        batch_op.drop_index(batch_op.f('ix_service_agency_certifications_organization_id'))

    op.drop_table('service_agency_certifications')
