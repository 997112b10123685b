{#
    mart_saas_kpis.net_new_mrr equals mart_mrr_movements' ending − starting MRR and the sum of
    its five movements in every month of mart_mrr_movements (spec v5 identity), and is 0 in the
    months before the first MRR month. Returns the disagreements.
#}
with

saas_kpis as (
    select period_month, net_new_mrr
    from {{ ref('mart_saas_kpis') }}
),

movements as (
    select
        period_month,
        ending_mrr - starting_mrr as ending_minus_starting,
        new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr
            as movement_sum
    from {{ ref('mart_mrr_movements') }}
)

select
    saas_kpis.period_month,
    saas_kpis.net_new_mrr,
    movements.ending_minus_starting,
    movements.movement_sum
from saas_kpis
left join movements
    on saas_kpis.period_month = movements.period_month
where
    saas_kpis.net_new_mrr <> coalesce(movements.ending_minus_starting, 0)
    or saas_kpis.net_new_mrr <> coalesce(movements.movement_sum, 0)
