namespace ResearchPipeline.Captures.Pcap;

/// <summary>Packet timestamps to UTC instants, refusing values outside what DateTimeOffset can hold.</summary>
internal static class CaptureClock
{
    private static readonly Int128 MaxTicks = (Int128)(DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
    private static readonly Int128 MinTicks = -(Int128)(DateTimeOffset.UnixEpoch.UtcTicks - DateTimeOffset.MinValue.UtcTicks);

    public static DateTimeOffset? FromUnixTicks(Int128 ticks) =>
        ticks > MaxTicks || ticks < MinTicks ? null : DateTimeOffset.UnixEpoch.AddTicks((long)ticks);

    /// <summary>
    /// A pcapng timestamp in units of the interface's if_tsresol: 10^-n seconds when the top bit is clear,
    /// 2^-n seconds when it is set (pcapng spec, section 4.2, option if_tsresol).
    /// </summary>
    public static DateTimeOffset? FromUnits(ulong units, byte resolution, long offsetSeconds)
    {
        var power = resolution & 0x7F;
        Int128 ticks;
        if ((resolution & 0x80) == 0)
        {
            if (power > 38) return null;
            ticks = power <= 7 ? (Int128)units * Pow10(7 - power) : (Int128)units / Pow10(power - 7);
        }
        else
        {
            if (power > 63) return null;
            ticks = ((Int128)units * 10_000_000) >> power;
        }
        return FromUnixTicks(ticks + (Int128)offsetSeconds * 10_000_000);
    }

    private static Int128 Pow10(int n)
    {
        Int128 r = 1;
        for (var i = 0; i < n; i++) r *= 10;
        return r;
    }
}
