#!/usr/bin/env python3
"""Prints the runs of one or more side-by-side result folders (.tmp/bench/<time>-<scenario>/) as
Markdown tables: per server and transport, the gateway beside the server's own endpoint, with ratios.
    bench/summarize.py .tmp/bench/20261123-060000-chat [more folders]"""
import glob, json, os, sys

KEYS = ["session_starts", "session_start_failures", "session_start_ms_p50", "session_start_ms_p99", "session_start_ms_mean",
        "connect_and_start_ms_p50", "connect_and_start_ms_p99", "gateway_pool_hits", "gateway_pool_misses",
        "login_failures", "logins_per_second", "login_ms_p50", "login_ms_p99", "login_storm_limit",
        "rate_per_second", "messages_sent", "messages_lost", "messages_duplicated", "messages_reordered",
        "latency_ms_p50", "latency_ms_p99", "latency_ms_p999",
        "pings", "pings_per_second", "ping_ms_p50", "ping_ms_p99", "{s}_cpu_us_per_ping", "gateway_cpu_us_per_ping", "generator_cpu_us_per_ping", "machine_cpu_us_per_ping", "machine_cores_busy",
        "reconnect_failures", "reconnect_first_attempt_failures", "reconnect_first_attempt_failure_reasons", "bosh_session_creation_5xx_resends", "bosh_5xx_resends", "reconnect_retries", "reconnect_seconds", "reconnects_per_second", "reconnect_ms_p50", "reconnect_ms_p99",
        "{s}_cpu_ms_per_message", "gateway_cpu_ms_per_message", "{s}_cpu_ms_per_login", "gateway_cpu_ms_per_login",
        "{s}_kib_per_session", "gateway_kib_per_session", "gateway_rss_kib"]

for folder in sys.argv[1:]:
    runs = {os.path.basename(f)[:-5]: json.load(open(f)) for f in sorted(glob.glob(os.path.join(folder, "*.json")))}
    for s in ("prosody", "ejabberd"):
        for t in ("websocket", "bosh"):
            g, p = runs.get(f"{s}-{t}-gateway"), runs.get(f"{s}-{t}-native")
            if not g and not p:
                continue
            g, p = g or {}, p or {}
            first = g or p
            print(f"\n**{first['scenario']}, {t}, {s}** ({first['users']} users, {first.get('mechanism', 'PLAIN')}; {folder})\n")
            print(f"| figure | gateway → {s} | {s}'s own endpoint | ratio |")
            print("|---|---:|---:|---:|")
            for k in KEYS:
                k = k.format(s=s)
                if k in g or k in p:
                    a, b = g.get(k, "—"), p.get(k, "—")
                    ratio = f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else ""
                    print(f"| {k} | {a} | {b} | {ratio} |")
            for label, run in (("gateway", g), (s, p)):
                for step in run.get("login_storm_steps", []):
                    print(f"| {label}: step {step['offered_per_second']:g}/s offered | achieved {step['achieved_per_second']}/s, "
                          f"{step['failures']} failed | p50 {step['login_ms_p50']} ms, p99 {step['login_ms_p99']} ms | |")
