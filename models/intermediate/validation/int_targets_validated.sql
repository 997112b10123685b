{{ crm_validate('targets') }}
