{{ crm_validate('leads') }}
