{{ crm_validate('activities') }}
