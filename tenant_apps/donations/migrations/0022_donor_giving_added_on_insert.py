"""New posted gifts add to their donors' giving (0008's total and last day, 0012's fiscal years)
instead of recomputing it from every gift the donors ever gave.

0021 recomputed, once a statement, each touched donor's total and years from all of the
donor's posted gifts. For gifts that are new and posted already (online gifts, a batch of them
a statement) the new figures are the old ones plus the new gifts: a donor's figures always equal
what its posted gifts add up to (every other change of a gift or a donor recomputes them), so
adding the statement's gifts, under the same lock, gives the same figures without reading the
donor's history. It reads only the statement's own rows, so it costs the same whatever the
planner knows of the gifts table (a tenant whose statistics were never gathered read every
posted gift for each donor). Updates and deletes of gifts still recompute (0021).

Frozen, as the other rules migrations are: a tenant schema migrated later must get exactly this
SQL, so a change to these rules is a new migration carrying its own.
"""

from django.db import migrations

FORWARD = """-- New gifts count when they are posted already: the donors are locked in the order of
-- their ids (as donations_donors_giving_compute locks them, so that the two wait for each
-- other rather than deadlock), then each donor's total, last day and fiscal years grow by the
-- statement's gifts. Read after the lock, the donor's row and years are the latest committed.
CREATE OR REPLACE FUNCTION donations_gifts_inserted_giving() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    start_month integer;
BEGIN
    PERFORM 1 FROM donors_donor
     WHERE id IN (SELECT donor_id FROM new_gifts WHERE state = 'posted')
     ORDER BY id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- The donor's own trigger would recompute the figures from all its gifts instead.
    PERFORM set_config('donations.giving_computed', 'on', true);
    UPDATE donors_donor d
       SET giving_total = d.giving_total + added.total,
           giving_last_on = greatest(d.giving_last_on, added.last_on)
      FROM (SELECT donor_id, sum(amount) AS total, max(received_on) AS last_on
              FROM new_gifts WHERE state = 'posted' GROUP BY donor_id) AS added
     WHERE d.id = added.donor_id;
    PERFORM set_config('donations.giving_computed', 'off', true);
    start_month := coalesce(
        (SELECT fiscal_year_start_month FROM accounting_accountingsettings WHERE id = 1), 1);
    INSERT INTO donations_donorgivingyear AS y
           (donor_id, fiscal_year, total, gift_count, last_gift_on)
    SELECT donor_id, donations_fiscal_year_of(received_on, start_month),
           sum(amount), count(*), max(received_on)
      FROM new_gifts
     WHERE state = 'posted'
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (donor_id, fiscal_year)
    DO UPDATE SET total = y.total + excluded.total,
                  gift_count = y.gift_count + excluded.gift_count,
                  last_gift_on = greatest(y.last_gift_on, excluded.last_gift_on);
    RETURN NULL;
END
$$;
"""

# The function as 0021 created it.
REVERSE = """CREATE OR REPLACE FUNCTION donations_gifts_inserted_giving() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM donations_donors_giving_compute(
        ARRAY(SELECT donor_id FROM new_gifts WHERE state = 'posted'));
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("donations", "0021_donor_giving_kept_per_statement")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
