{#
    One row per period_month, densely from the first month with data to the as-of month. A rep
    is a user with a bookings quota above 0 in the month (mart_quota_attainment). Company
    bookings are every won deal of the month, whoever owns it; company quota is the
    company-level bookings target (targets row with an empty user_id) where there is one, else
    the sum of the rep quotas (null when neither exists).
#}
with

as_of as (
    select
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month,
        first_data_month
    from {{ ref('int_as_of_date') }}
),

quota_attainment as (
    select owner_id, period_month, bookings_amount, quota, attainment
    from {{ ref('mart_quota_attainment') }}
),

targets as (
    select period_month, target_value
    from {{ ref('int_targets_accepted') }}
    where
        metric = 'bookings_amount'
        and user_id is null
),

months as (
    {{ crm_spine_months('as_of', 'as_of.first_data_month', 'as_of.as_of_month') }}
),

company_targets as (
    select
        cast({{ dbt.date_trunc('month', 'period_month') }} as date) as period_month,
        sum({{ crm_money(crm_amount_decimal('target_value')) }}) as company_target
    from targets
    group by 1
),

rep_totals as (
    select
        period_month,
        count(case when quota > 0 then 1 end) as reps_with_quota,
        count(case when quota > 0 and attainment >= 1 then 1 end) as reps_at_quota,
        sum(bookings_amount) as company_bookings_amount,
        sum(quota) as rep_quota_sum
    from quota_attainment
    group by 1
),

joined as (
    select
        months.period_month,
        coalesce(rep_totals.reps_with_quota, 0) as reps_with_quota,
        coalesce(rep_totals.reps_at_quota, 0) as reps_at_quota,
        coalesce(rep_totals.company_bookings_amount, 0) as company_bookings_amount,
        rep_totals.rep_quota_sum,
        company_targets.company_target,
        coalesce(company_targets.company_target, rep_totals.rep_quota_sum) as company_quota,
        case
            when company_targets.company_target is not null then 'company_target'
            when rep_totals.rep_quota_sum is not null then 'sum_of_rep_quotas'
        end as company_quota_source
    from months
    left join rep_totals
        on months.period_month = rep_totals.period_month
    left join company_targets
        on months.period_month = company_targets.period_month
),

final as (
    select
        period_month,
        cast(reps_with_quota as bigint) as reps_with_quota,
        cast(reps_at_quota as bigint) as reps_at_quota,
        cast(reps_at_quota as {{ crm_double_type() }})
        / nullif(reps_with_quota, 0) as share_of_reps_at_quota,
        {{ crm_money('company_bookings_amount') }} as company_bookings_amount,
        {{ crm_money('company_quota') }} as company_quota,
        company_quota_source,
        {{ crm_money('rep_quota_sum') }} as rep_quota_sum,
        cast(company_bookings_amount as {{ crm_double_type() }}) / nullif(company_quota, 0)
            as company_attainment
    from joined
)

select * from final
