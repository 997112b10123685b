{{ crm_validate('products') }}
