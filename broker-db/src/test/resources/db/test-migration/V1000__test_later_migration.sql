-- A migration later than the packaged ones, for MigratorIT only: proves that after adopting a legacy history (or
-- baselining) the scripts above the baseline still run.
ALTER TABLE mesh.mesh ADD COLUMN test_note varchar;
