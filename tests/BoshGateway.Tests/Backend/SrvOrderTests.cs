using BoshGateway.Backend;

namespace BoshGateway.Tests.Backend;

/// <summary>RFC 2782 try order: priorities strictly ascending, weighted draws within one priority.</summary>
public class SrvOrderTests
{
    private static DestinationAddress D(string host, int priority, int weight, bool directTls = false) => new(host, 5222, weight, directTls, priority);

    [Fact]
    public void Order_LowerPriorityAlwaysFirst_WhateverTheWeights()
    {
        var records = new[] { D("p20", 20, 1000), D("p10-b", 10, 1), D("p30", 30, 0), D("p10-a", 10, 0), D("p20-b", 20, 1) };
        var random = new Random(1);
        for (var i = 0; i < 500; i++)
        {
            var ordered = SrvOrder.Order(records, random);
            Assert.Equal([10, 10, 20, 20, 30], ordered.Select(d => d.Priority));
            Assert.Equal(records.Select(d => d.Host).Order(), ordered.Select(d => d.Host).Order());
        }
    }

    [Fact]
    public void Order_WeightsThreeToOne_FirstPickFollowsTheWeights()
    {
        // Expected 3000 of 4000 (sd ~27); RFC 2782's literal 0..sum draw would give 3200 to the first listed record.
        var records = new[] { D("light", 5, 1), D("heavy", 5, 3) };
        var random = new Random(13);
        var heavyFirst = 0;
        for (var i = 0; i < 4000; i++)
        {
            var ordered = SrvOrder.Order(records, random);
            Assert.Equal(2, ordered.Count);
            if (ordered[0].Host == "heavy")
            {
                heavyFirst++;
            }
        }
        Assert.InRange(heavyFirst, 2850, 3150);
    }

    [Fact]
    public void Order_WeightsThreeToOne_HoldsWhicheverIsListedFirst()
    {
        var records = new[] { D("heavy", 5, 3), D("light", 5, 1) };
        var random = new Random(14);
        var heavyFirst = Enumerable.Range(0, 4000).Count(_ => SrvOrder.Order(records, random)[0].Host == "heavy");
        Assert.InRange(heavyFirst, 2850, 3150);
    }

    [Fact]
    public void Order_ZeroWeightBesideWeighted_GetsASmallChanceToGoFirst()
    {
        // Weight 0 beside weight 10: first with chance 1/11 (expected ~364 of 4000, sd ~18).
        var records = new[] { D("ten", 1, 10), D("zero", 1, 0) };
        var random = new Random(7);
        var zeroFirst = Enumerable.Range(0, 4000).Count(_ => SrvOrder.Order(records, random)[0].Host == "zero");
        Assert.InRange(zeroFirst, 250, 480);
    }

    [Fact]
    public void Order_OnlyZeroWeights_AllReturned_InVaryingOrder()
    {
        var records = new[] { D("a", 1, 0), D("b", 1, 0), D("c", 1, 0) };
        var random = new Random(3);
        var firsts = new Dictionary<string, int>();
        for (var i = 0; i < 600; i++)
        {
            var ordered = SrvOrder.Order(records, random);
            Assert.Equal(["a", "b", "c"], ordered.Select(d => d.Host).Order());
            firsts[ordered[0].Host] = firsts.GetValueOrDefault(ordered[0].Host) + 1;
        }
        Assert.All(new[] { "a", "b", "c" }, host => Assert.InRange(firsts.GetValueOrDefault(host), 120, 280));
    }

    [Fact]
    public void Order_SameSeed_SameOrder_AndInputUntouched()
    {
        var records = new[] { D("a", 1, 5), D("b", 1, 5), D("c", 1, 5), D("d", 2, 0) };
        var copy = records.ToArray();
        Assert.Equal(SrvOrder.Order(records, new Random(42)), SrvOrder.Order(records, new Random(42)));
        Assert.Equal(copy, records);
    }

    [Fact]
    public void Order_StartTlsAndDirectTlsAtOnePriority_CompeteByWeight()
    {
        var records = new[] { D("xmpp", 0, 1, directTls: false), D("xmpps", 0, 1, directTls: true) };
        var random = new Random(5);
        var directFirst = Enumerable.Range(0, 2000).Count(_ => SrvOrder.Order(records, random)[0].DirectTls);
        Assert.InRange(directFirst, 850, 1150);
    }

    [Fact]
    public void Order_Empty_IsEmpty() => Assert.Empty(SrvOrder.Order([], new Random(1)));
}
