/* notify_ext_assets--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext_assets UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext_assets UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext_assets.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */
