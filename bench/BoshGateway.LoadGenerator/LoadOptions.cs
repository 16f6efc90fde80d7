using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>Command line: <c>--name value</c> pairs; <c>--pid name=pid</c> may repeat.</summary>
internal sealed class LoadOptions
{
    public string Label { get; private set; } = "gateway";

    public string Transport { get; private set; } = "websocket";

    public Uri Url { get; private set; } = new("ws://127.0.0.1:5380/xmpp-websocket");

    /// <summary>With <c>--transport both</c>: the WebSocket endpoint (<see cref="Url"/> is then the BOSH one).</summary>
    public Uri? WebSocketUrl { get; private set; }

    /// <summary>
    /// With <c>--transport both</c>: the fraction of users over BOSH, at most one per chat pair (0 to
    /// 0.5; 0.5, the default, puts one of each pair on each transport).
    /// </summary>
    public double BoshShare { get; private set; } = 0.5;

    /// <summary>Soak: the fraction of users that log out, reload or drop every second.</summary>
    public double Churn { get; private set; } = 0.01;

    public string Domain { get; private set; } = "localhost";

    public string UserPrefix { get; private set; } = "load";

    public int Users { get; private set; } = 100;

    public string Password { get; private set; } = "secret";

    public string Scenario { get; private set; } = "chat";

    /// <summary>SASL mechanism: <c>PLAIN</c> or <c>SCRAM-SHA-1</c>.</summary>
    public string Mechanism { get; private set; } = "PLAIN";

    public int Concurrency { get; private set; } = 50;

    public double Rate { get; private set; } = 100;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);

    public int Wait { get; private set; } = 30;

    /// <summary>session-start: the pause after one user's session has ended before the next starts (each of the concurrent loops).</summary>
    public TimeSpan Pause { get; private set; } = TimeSpan.FromMilliseconds(50);

    public string? Json { get; private set; }

    /// <summary>BOSH users acknowledge answers (XEP-0124 §9.1 <c>ack</c>); Strophe.js and StanzaJS do not.</summary>
    public bool BoshAcks { get; private set; }

    /// <summary>chat, idle, ping: this many users (the first ones) log in and out before the measured ramp.</summary>
    public int WarmUp { get; private set; }

    /// <summary>ping: serial pings per user, after 100 unmeasured ones.</summary>
    public int Rounds { get; private set; } = 400;

    /// <summary>Ledger: which users speak XEP-0198, <c>on</c>, <c>off</c> or <c>both</c> (alternate pairs).</summary>
    public string StreamManagement { get; private set; } = "both";

    /// <summary>Ledger: a file the fault script writes the fault's time into (Unix ms).</summary>
    public string? FaultFile { get; private set; }

    /// <summary>Ledger: fails the run when a user without XEP-0198 noticed the fault later than this (its documented bound).</summary>
    public TimeSpan? NoticedWithin { get; private set; }

    public List<ProcessMeter> Processes { get; } = [];

    /// <summary>
    /// Over which transport user <paramref name="index"/> (0-based) connects: with <c>both</c>, even
    /// accounts (load2, load4, …) over WebSocket, and odd ones (load1, load3, …) over BOSH in
    /// <see cref="BoshShare"/> × 2 of the pairs, spread evenly (all of them by default, so that every
    /// chat pair crosses the two transports), over WebSocket in the others.
    /// </summary>
    public string TransportOf(int index)
    {
        if (Transport != "both")
        {
            return Transport;
        }
        var pair = index / 2;
        var boshPair = Math.Floor((pair + 1) * 2 * BoshShare) > Math.Floor(pair * 2 * BoshShare);
        return index % 2 == 0 && boshPair ? "bosh" : "websocket";
    }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--label": o.Label = value; break;
                case "--transport": o.Transport = value; break;
                case "--url": o.Url = new Uri(value); break;
                case "--ws-url": o.WebSocketUrl = new Uri(value); break;
                case "--bosh-share": o.BoshShare = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--churn": o.Churn = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--domain": o.Domain = value; break;
                case "--user-prefix": o.UserPrefix = value; break;
                case "--users": o.Users = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--password": o.Password = value; break;
                case "--scenario": o.Scenario = value; break;
                case "--mechanism": o.Mechanism = value.ToUpperInvariant(); break;
                case "--concurrency": o.Concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rate": o.Rate = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--wait": o.Wait = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--pause": o.Pause = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--json": o.Json = value; break;
                case "--bosh-ack": o.BoshAcks = value == "on"; break;
                case "--warm-up": o.WarmUp = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rounds": o.Rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--sm": o.StreamManagement = value; break;
                case "--fault-file": o.FaultFile = value; break;
                case "--noticed-within": o.NoticedWithin = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--pid": o.Processes.Add(ProcessMeter.Parse(value)); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }
        if (o.Transport is not ("bosh" or "websocket" or "both") || o.Scenario is not ("idle" or "chat" or "login-storm" or "reconnect-storm" or "soak" or "session-start" or "ledger" or "ping") || o.Rounds < 1 || o.WarmUp < 0 || o.Mechanism is not ("PLAIN" or "SCRAM-SHA-1") || o.Users < 2 || o.Users % 2 != 0
            || (o.Transport == "both") != (o.WebSocketUrl is not null) || o.Churn is < 0 or > 1 || o.BoshShare is < 0 or > 0.5 || o.StreamManagement is not ("on" or "off" or "both"))
        {
            throw new ArgumentException("--transport bosh|websocket|both (both: --url is BOSH, --ws-url WebSocket), --scenario idle|chat|ping|login-storm|reconnect-storm|soak|session-start|ledger, --rounds ≥ 1, --mechanism plain|scram-sha-1, --users an even number ≥ 2, --churn 0..1, --bosh-share 0..0.5, --sm on|off|both");
        }
        return o;
    }
}
