package pgsync

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/esconnect/esconnect/shared/config"
)

// LoadConfig reads the pg-es-sync settings from env and reports every
// problem at once: config.ReadPGSync's, and the connection string's as the
// driver's own parser sees it. The database it names becomes
// config.PGSync.Database, part of every document id.
func LoadConfig(env *config.Env) (config.PGSync, error) {
	c := config.ReadPGSync(env)
	if dsn := c.Postgres.ConnString(); dsn != "" {
		pc, err := pgconn.ParseConfig(dsn)
		switch {
		case err != nil:
			env.Fail(c.Postgres.Setting(), "not a usable connection: %s", c.Postgres.Scrub(err.Error()))
		case pc.Database == "":
			env.Fail(config.EnvPGDatabase, "no database named (PG_DATABASE, or the path of PG_URL)")
		default:
			c.Database = pc.Database
			c.Postgres = c.Postgres.Described(fmt.Sprintf("host=%s port=%d user=%s dbname=%s", pc.Host, pc.Port, pc.User, pc.Database))
		}
	}
	return c, env.Err()
}
