"""make_minari_pendulum.py - the two small Minari datasets docs/datasets.md ("Bring your own
data") walks through: gymnasium's Pendulum-v1 with random actions, 10 and 20 episodes of 100
steps, collected by Minari's own DataCollector (needs `pip install "minari[create]"`).

    MINARI_DATASETS_PATH=$PWD/minari_root python make_minari_pendulum.py
writes minari_root/pendulum/{expert,random}-v0/data/{main_data.hdf5,metadata.json}.
"""
import gymnasium as gym
from minari import DataCollector

for name, episodes, seed in (("pendulum/expert-v0", 10, 0), ("pendulum/random-v0", 20, 1)):
    env = DataCollector(gym.make("Pendulum-v1", max_episode_steps=100))
    for e in range(episodes):
        env.reset(seed=seed * 1000 + e)
        done = False
        while not done:
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            done = term or trunc
    env.create_dataset(dataset_id=name, algorithm_name="random policy")
    print("wrote", name)
