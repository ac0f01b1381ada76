import { randomInt } from 'node:crypto';

// Docker-style "adjective_surname" names, so `docker ps` output looks familiar.
const LEFT = [
  'admiring', 'bold', 'brave', 'busy', 'calm', 'clever', 'cool', 'eager', 'elated', 'epic', 'fervent', 'focused',
  'gallant', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'modest', 'nice', 'nifty',
  'optimistic', 'peaceful', 'quirky', 'relaxed', 'serene', 'sharp', 'stoic', 'sweet', 'tender', 'trusting', 'vibrant', 'zealous',
];
const RIGHT = [
  'babbage', 'bardeen', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'fermat', 'feynman', 'franklin', 'galileo',
  'gauss', 'hamilton', 'hopper', 'hypatia', 'kepler', 'knuth', 'lamarr', 'liskov', 'lovelace', 'meitner', 'newton',
  'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wozniak', 'yonath', 'zhukovsky',
];

export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}${attempt > 5 ? randomInt(10) : ''}`;
    if (!taken(name)) return name;
  }
}
