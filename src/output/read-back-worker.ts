/**
 * The read-back worker thread (ReadBack): reads back the files the ownership record names, posts
 * the result, then signals the main thread.
 */
import { workerData } from 'worker_threads';
import { ReadBackData, readBack } from './read-back';
import { OutputTree } from './tree';

const { root, record, results, signal } = workerData as ReadBackData;

// Stopping for any reason wakes the main thread, which then reads back itself.
process.on('exit', () => {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

results.postMessage(readBack(new OutputTree(root), record));
results.close();
Atomics.store(signal, 0, 1);
Atomics.notify(signal, 0);
