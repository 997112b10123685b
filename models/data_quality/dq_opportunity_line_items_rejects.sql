{{ crm_rejects('opportunity_line_items') }}
