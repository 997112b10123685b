{#
    One row per account × month from the account's first paying month to the month after its
    last paying month (or to the as-of month): MRR, its change and category
    (int_mrr_by_account_month) with the account's cohort. See _core__mrr__models.yml.
#}
with

account_months as (
    select
        account_id,
        period_month,
        mrr,
        previous_mrr,
        mrr_change,
        change_category
    from {{ ref('int_mrr_by_account_month') }}
),

-- the columns of account_months, then the cohort: the account's first month
with_cohort as (
    select
        *,
        min(period_month) over (partition by account_id) as cohort_month
    from account_months
),

final as (
    select
        *,
        {{ crm_months_between('cohort_month', 'period_month') }} as months_since_cohort
    from with_cohort
)

select * from final
