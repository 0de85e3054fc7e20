/**
 * The read-back worker thread (ReadBack): reads back the files the ownership record names, posts
 * the result, then signals the main thread; counts up signal[1] as it goes (a sign of life).
 */
import { workerData } from 'worker_threads';
import type { ReadBackData } from './read-back';

const { root, record, results, signal } = workerData as ReadBackData;
const alive = () => void Atomics.add(signal, 1, 1);
alive();

// Stopping for any reason wakes the main thread, which then reads back itself. (Set before the
// modules below load, so that a failure to load them wakes it too.)
process.on('exit', () => {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

const { readBack } = require('./read-back') as typeof import('./read-back');
const { OutputTree } = require('./tree') as typeof import('./tree');

results.postMessage(readBack(new OutputTree(root), record, alive));
results.close();
Atomics.store(signal, 0, 1);
Atomics.notify(signal, 0);
