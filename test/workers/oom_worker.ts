// A worker that runs out of heap on purpose (started with a small --max-old-space-size), to
// check that the runner records the reason and goes on with the next run.
process.once('message', () => {
  const hoard: number[][] = [];
  for (;;) hoard.push(Array.from({ length: 1e5 }, (_, i) => i * Math.random()));
});
