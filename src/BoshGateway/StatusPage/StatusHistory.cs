namespace BoshGateway.StatusPage;

/// <summary>
/// The last <c>capacity</c> samples of every series, in fixed arrays used as rings: memory is set by
/// the number of series (bounded by <see cref="StatusTally"/>) times the capacity, and does not grow
/// with time. Written by the sampling timer, read by requests for the data; both under one lock.
/// </summary>
internal sealed class StatusHistory
{
    private readonly Lock _sync = new();
    private readonly int _capacity;
    private readonly long[] _times;
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private int _next;
    private int _count;

    public StatusHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _times = new long[capacity];
    }

    /// <summary>Declares a family (in the order the page shows them) and the keys it always has.</summary>
    public void AddFamily(string name, StatusSeriesKind kind, string unit, params string[] keys)
    {
        lock (_sync)
        {
            var family = new Family(kind, unit);
            foreach (var key in keys)
            {
                family.Series[key] = new double[_capacity];
            }
            _families.Add(name, family);
        }
    }

    /// <summary>
    /// Adds one sample: for each family, its running totals by key (for a gauge, the values themselves).
    /// A key seen for the first time starts from zero; a total that went down (never, for a counter)
    /// counts as no change.
    /// </summary>
    public void Add(long unixSeconds, double elapsedSeconds, IReadOnlyDictionary<string, Dictionary<string, long>> totals)
    {
        lock (_sync)
        {
            var at = _next;
            _times[at] = unixSeconds;
            foreach (var (name, family) in _families)
            {
                if (totals.TryGetValue(name, out var values))
                {
                    foreach (var key in values.Keys)
                    {
                        if (!family.Series.ContainsKey(key))
                        {
                            family.Series[key] = new double[_capacity];
                        }
                    }
                }
                foreach (var (key, points) in family.Series)
                {
                    long? value = values is not null && values.TryGetValue(key, out var v) ? v : null;
                    points[at] = family.Point(key, value, elapsedSeconds);
                }
            }
            _next = (at + 1) % _capacity;
            _count = Math.Min(_count + 1, _capacity);
        }
    }

    /// <summary>Every series, oldest point first.</summary>
    public StatusData Snapshot(double intervalSeconds, double historySeconds)
    {
        lock (_sync)
        {
            var start = (_next - _count + _capacity) % _capacity;
            var families = new Dictionary<string, StatusFamilyData>(_families.Count, StringComparer.Ordinal);
            foreach (var (name, family) in _families)
            {
                var series = new Dictionary<string, double[]>(family.Series.Count, StringComparer.Ordinal);
                foreach (var (key, points) in family.Series)
                {
                    series[key] = Unroll(points, start);
                }
                families[name] = new StatusFamilyData(family.Unit, series);
            }
            return new StatusData(intervalSeconds, historySeconds, Unroll(_times, start), families);
        }
    }

    private T[] Unroll<T>(T[] ring, int start)
    {
        var ordered = new T[_count];
        var first = Math.Min(_count, _capacity - start);
        Array.Copy(ring, start, ordered, 0, first);
        Array.Copy(ring, 0, ordered, first, _count - first);
        return ordered;
    }

    private sealed class Family(StatusSeriesKind kind, string unit)
    {
        private readonly Dictionary<string, long> _last = new(StringComparer.Ordinal);

        public string Unit { get; } = unit;

        public Dictionary<string, double[]> Series { get; } = new(StringComparer.Ordinal);

        public double Point(string key, long? value, double elapsedSeconds)
        {
            if (kind == StatusSeriesKind.Gauge)
            {
                return value ?? 0;
            }
            var last = _last.GetValueOrDefault(key);
            var now = value ?? last;
            _last[key] = now;
            var grown = Math.Max(0, now - last);
            return kind == StatusSeriesKind.Rate ? (elapsedSeconds > 0 ? Math.Round(grown / elapsedSeconds, 3) : 0) : grown;
        }
    }
}
