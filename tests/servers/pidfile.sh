# Sourced by the server scripts that run their server in the foreground and keep its pid in
# $dir/server.pid themselves (Prosody without mod_posix, dnsmasq): stop ends that process (TERM, up to
# 5 s, then KILL) and removes the file. Expects $dir.
stop() {
    if [ -f "$dir/server.pid" ]; then
        pid=$(cat "$dir/server.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/server.pid"
    fi
}
