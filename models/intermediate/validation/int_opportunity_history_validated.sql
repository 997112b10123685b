{{ crm_validate('opportunity_history') }}
