namespace ResearchPipeline.Cluster;

/// <summary>What was submitted: the parse array (none when every part was already written) and the emit job after it.</summary>
public sealed record SlurmSubmission(string? ArrayJob, IReadOnlyList<int> Parts, string EmitJob);

/// <summary>A part whose task did not write it: its state, where its log is, and the captures it was to read.</summary>
public sealed record FailedPart(int Part, string State, string Log, IReadOnlyList<string> Captures);

/// <summary>How a run ended: emit completed, or the parts that failed, or the emit job's state and log.</summary>
public sealed record SlurmOutcome(bool EmitCompleted, IReadOnlyList<FailedPart> FailedParts, string EmitState, string EmitLog);

/// <summary>
/// A plan run on Slurm: the parts not yet written as one array job, emit as one job after it, and the waiting.
/// A part is done when the interim folder holds it (so a scheduler that forgot a finished task still counts
/// right) or its task COMPLETED; the scheduler says which tasks are pending, running or failed.
/// </summary>
public sealed class SlurmRun(SlurmClient client, StudyPlan plan, PartFolders folders, string logFolder)
{
    public SlurmSubmission Submit(string parseScript, string emitScript, SlurmRequest request)
    {
        var missing = folders.Missing(plan);
        string? array = null;
        if (missing.Count > 0) array = client.Submit(parseScript, ["--array=" + Slurm.ArraySpec(missing), .. request.ExtraArguments]);
        // afterok: emit starts only once every task of the array completed; a task that fails cancels it.
        IEnumerable<string> after = array is null ? [] : ["--dependency=afterok:" + array, "--kill-on-invalid-dep=yes"];
        var emit = client.Submit(emitScript, [.. after, .. request.ExtraArguments]);
        return new SlurmSubmission(array, missing, emit);
    }

    public async Task<SlurmOutcome> WaitAsync(SlurmSubmission submission, Action<string> progress, TimeSpan poll, CancellationToken cancel = default)
    {
        var jobs = new[] { submission.ArrayJob, submission.EmitJob }.OfType<string>().ToList();
        string? last = null;
        while (true)
        {
            var states = client.States(jobs);
            // squeue failing (a busy controller) is no news; asked again at the next poll.
            if (states is not null)
            {
                var emitState = states.GetValueOrDefault(submission.EmitJob) ?? client.Accounting([submission.EmitJob]).GetValueOrDefault(submission.EmitJob);
                var emitted = emitState is not null && Slurm.PhaseOf(emitState) is TaskPhase.Done;
                // Emit starts only after every task completed (afterok), and removes the shards once it has published.
                var emitStarted = emitState is not null && Slurm.PhaseOf(emitState) is TaskPhase.Running or TaskPhase.Done;
                var parts = submission.Parts.Select(p =>
                {
                    var state = "COMPLETED";
                    var phase = emitStarted ? TaskPhase.Done : PhaseOf(p, states, out state);
                    return (Part: p, Phase: phase, State: state);
                }).ToList();
                var line = $"parse: {Count(TaskPhase.Pending)} pending, {Count(TaskPhase.Running)} running, {Count(TaskPhase.Done)} done, {Count(TaskPhase.Failed)} failed"
                    + $" of {parts.Count}; emit: {(emitState ?? "gone").ToLowerInvariant()}";
                if (line != last) progress(line);
                last = line;
                int Count(TaskPhase phase) => parts.Count(p => p.Phase == phase);

                // Emit over means the parts were all there when it ran (it deletes them once it has published).
                if (emitted)
                    return new SlurmOutcome(true, [], emitState!, Slurm.EmitLog(logFolder, submission.EmitJob));
                var parseOver = parts.All(p => p.Phase is TaskPhase.Done or TaskPhase.Failed);
                if (parseOver && parts.Any(p => p.Phase == TaskPhase.Failed))
                {
                    // Clusters without kill_invalid_depend leave the emit job pending for ever.
                    if (emitState is null || Slurm.PhaseOf(emitState) is TaskPhase.Pending or TaskPhase.Running) client.Cancel(submission.EmitJob);
                    var failed = parts.Where(p => p.Phase == TaskPhase.Failed)
                        .Select(p => new FailedPart(p.Part, p.State, Slurm.ParseLog(logFolder, submission.ArrayJob!, p.Part),
                            plan.CapturesOf(p.Part).Select(c => c.RelativeName).ToList()))
                        .ToList();
                    return new SlurmOutcome(false, failed, emitState ?? "CANCELLED", Slurm.EmitLog(logFolder, submission.EmitJob));
                }
                if (emitState is not null && Slurm.PhaseOf(emitState) is TaskPhase.Failed)
                    return new SlurmOutcome(false, [], emitState, Slurm.EmitLog(logFolder, submission.EmitJob));
                if (emitState is null && parseOver)
                    return new SlurmOutcome(false, [], "UNKNOWN (no longer known to the scheduler, and no accounting)", Slurm.EmitLog(logFolder, submission.EmitJob));
            }
            await Task.Delay(poll, cancel);
        }

        TaskPhase PhaseOf(int part, Dictionary<string, string> states, out string state)
        {
            if (folders.IsDone(plan, part))
            {
                state = "COMPLETED";
                return TaskPhase.Done;
            }
            var task = $"{submission.ArrayJob}_{part}";
            if (states.TryGetValue(task, out var s) || client.Accounting([task]).TryGetValue(task, out s))
            {
                state = s;
                // COMPLETED is exit 0, which parse-part gives only once its part is in place (another node's view of
                // the shared file system may show the rename later).
                return Slurm.PhaseOf(s);
            }
            // squeue lists every task of an array from submission on; one that is gone and unknown to sacct was
            // cancelled before it started.
            state = "CANCELLED (before it started; no longer known to the scheduler)";
            return TaskPhase.Failed;
        }
    }
}
