/** A piscina task that does nothing (the floor of one pool call); benchmark only. */
export default function emptyTask(): null {
  return null;
}
