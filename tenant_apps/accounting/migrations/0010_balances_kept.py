"""The monthly balances (accounting_balance) kept by the database: posting an entry adds its
lines to the balances of their month in the same statement, and nothing else writes them except
a rebuild that says so. Existing posted lines are summed in once.

Frozen: every tenant schema ran exactly this SQL when it was migrated, and a schema made later
must come out the same, so the SQL below is never edited. A change to these rules is a new
migration that carries its own SQL (and, as its reverse, the definition it replaces).
"""

from django.db import migrations

FORWARD = """-- Only the draft -> posted change puts lines in the books: lines are written only while their
-- entry is a draft (accounting_lines_check), a posted entry never changes but to reversed (which
-- stays in the books, offset by its posted reversal) and is never deleted (accounting_entry_guard).
-- So the balances follow the books if each posting adds its lines, whatever posts it (the
-- services, raw SQL, one UPDATE posting a million entries at once). A statement trigger with
-- transition tables sums a whole UPDATE's postings in one insert; rows are written in key order
-- so that two transactions posting to the same months lock the same rows in the same order.
-- Months are the entry's date truncated: dates carry no time zone, and fiscal years start on the
-- first of a month, so a fiscal year is whole months.
CREATE FUNCTION accounting_balances_post() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO accounting_balance AS b
           (month, account_id, fund_id, net_asset_class, function, program_id,
            debit, credit, line_count)
    SELECT date_trunc('month', n.date)::date, l.account_id, l.fund_id, l.net_asset_class,
           l.function, l.program_id, sum(l.debit), sum(l.credit), count(*)
      FROM posted_entries n
      JOIN previous_entries o ON o.id = n.id
      JOIN accounting_journalline l ON l.entry_id = n.id
     WHERE o.state = 'draft' AND n.state IN ('posted', 'reversed')
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (month, account_id, fund_id, net_asset_class, function, program_id)
    DO UPDATE SET debit = b.debit + excluded.debit,
                  credit = b.credit + excluded.credit,
                  line_count = b.line_count + excluded.line_count;
    RETURN NULL;
END
$$;

CREATE TRIGGER accounting_balances_post AFTER UPDATE ON accounting_journalentry
    REFERENCING OLD TABLE AS previous_entries NEW TABLE AS posted_entries
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_balances_post();

-- The balances are written by the posting trigger only, or by a rebuild that announces itself
-- for its transaction (SET LOCAL accounting.balances_rebuild = 'on'): an UPDATE by hand would
-- make the statements disagree with the lines.
CREATE FUNCTION accounting_balances_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF pg_trigger_depth() < 2
       AND coalesce(current_setting('accounting.balances_rebuild', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the monthly balances follow the posted lines: post or reverse an entry, '
            'or rebuild them with manage.py ledger_balances --rebuild'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER accounting_balances_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON accounting_balance
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_balances_guard();

SET LOCAL accounting.balances_rebuild = 'on';
INSERT INTO accounting_balance
       (month, account_id, fund_id, net_asset_class, function, program_id,
        debit, credit, line_count)
SELECT date_trunc('month', e.date)::date, l.account_id, l.fund_id, l.net_asset_class,
       l.function, l.program_id, sum(l.debit), sum(l.credit), count(*)
  FROM accounting_journalline l JOIN accounting_journalentry e ON e.id = l.entry_id
 WHERE e.state IN ('posted', 'reversed')
 GROUP BY 1, 2, 3, 4, 5, 6;
SET LOCAL accounting.balances_rebuild = 'off';

-- The general ledger walks an account's entries in (date, number) order.
CREATE INDEX journalentry_date_number ON accounting_journalentry (date, number)
    WHERE state IN ('posted', 'reversed');
"""

REVERSE = """DROP INDEX journalentry_date_number;
DROP TRIGGER accounting_balances_guard ON accounting_balance;
DROP FUNCTION accounting_balances_guard();
DROP TRIGGER accounting_balances_post ON accounting_journalentry;
DROP FUNCTION accounting_balances_post();
DELETE FROM accounting_balance;
"""


class Migration(migrations.Migration):
    dependencies = [("accounting", "0009_balance")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
