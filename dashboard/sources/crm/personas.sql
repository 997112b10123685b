-- Leads and closed deals by buyer persona (the title's persona), all time to the as-of date
select
    persona,
    leads,
    converted_leads,
    won_count,
    lost_count
from marts.mart_conversions_by_title
